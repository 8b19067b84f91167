"""The CP-SAT model: variables, one function per hard rule, and the fairness objective."""
