// Bare node: the baseline ritual's start-up cost is measured against.
