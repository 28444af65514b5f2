"""Operators, departments, businesses (業務), roles per business, second factors, terminal rules."""
