"""Partnership Hub domain, store and services. Never imports streamlit."""
