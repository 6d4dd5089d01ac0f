"""PDF: drawing placed faces with reportlab, the incremental writer, and proof by decoding."""
