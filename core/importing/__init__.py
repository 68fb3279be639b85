"""Reading agency exports (CSV, XLSX), mapping their columns, and checking their rows before import.

Pure Python and pandas: no database, no streamlit. `core.services.datasets` puts it to work.
"""
