"""Pages joining domains: survey results into the LKE, the journey."""
