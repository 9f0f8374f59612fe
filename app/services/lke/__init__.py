"""LKE ZI use cases: frameworks, assessments, evidence, review, XLSX."""
