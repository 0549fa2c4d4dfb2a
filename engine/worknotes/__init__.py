"""Notes on work in hand: comments on a task (办理意见, read by later handlers of the case) and
each user's follow-up date (提醒日期) on a task."""
