"""Reading stage: the trained span reader (tokens with offsets, inputs and span decoding, serving,
training) and the question analysis that follow-up questions use."""
