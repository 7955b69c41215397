"""Services shared by several areas: studies and instruments, passwords."""
