"""Domain vocabulary and pure rules: coding, appropriateness, facility profile, errors."""
