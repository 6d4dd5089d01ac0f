"""Text: which font prints which character, shaping with HarfBuzz, measuring and wrapping."""
