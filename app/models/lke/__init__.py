"""Tables of the LKE ZI worksheet: assessments, evidence, the review chain."""
