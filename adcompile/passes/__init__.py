"""IR -> IR passes: dead-code elimination, activity analysis, reverse mode."""
