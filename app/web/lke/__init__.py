"""LKE ZI pages: the worksheet, XLSX, evidence, the review chain."""
