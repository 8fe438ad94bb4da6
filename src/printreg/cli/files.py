"""`printreg dicom` and `printreg mesh`: inspect imaging and model files (filled in later)."""
