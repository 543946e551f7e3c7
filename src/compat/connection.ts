/** Upstream's `Connection.connect(cfg)`: returns the config unchanged and opens nothing. */
export const Connection = { connect: async <T>(config: T): Promise<T> => config };
