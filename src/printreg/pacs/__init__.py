"""A facility's PACS over DICOMweb: pre-fill a case from its metadata, archive models in it."""
