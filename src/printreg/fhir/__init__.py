"""FHIR R4 (R4B models of fhir.resources): the definition as a Questionnaire, a case as a Bundle."""
