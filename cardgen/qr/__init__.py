"""QR codes: payload to module matrix, the mask choice, and the rule for a printable size."""
