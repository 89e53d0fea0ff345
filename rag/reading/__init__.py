"""Reading: the trained span reader — tokens with offsets, inputs and decoding, training, serving."""
