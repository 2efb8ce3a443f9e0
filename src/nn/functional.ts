/** The functional namespace (PyTorch's `torch.nn.functional`). */
export {};
