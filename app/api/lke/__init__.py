"""LKE ZI over JSON: assessments, XLSX, evidence, the review chain."""
