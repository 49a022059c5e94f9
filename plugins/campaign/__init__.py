"""Stock campaign plugins: the dashboard panel of overdue visit tasks."""
