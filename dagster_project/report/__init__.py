"""Where report numbers become pages: catalogue, tables, figures, pages and calibration."""
