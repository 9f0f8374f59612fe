"""Document adapters shared by the reports: HTML templates for print and HTML -> PDF."""
