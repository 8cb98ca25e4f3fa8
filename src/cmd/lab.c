/* Placeholder: the lab runner. */
