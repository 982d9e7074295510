"""The talent's growth: plans.py (Growth: development plan with history), readiness.py, attendance.py."""
