"""Layout: designs, one face's boxes in millimetres, and where each card goes on a sheet."""
