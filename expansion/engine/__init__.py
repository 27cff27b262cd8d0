"""The engines that push truncated series through the IR: a dense chain, a computation graph."""
