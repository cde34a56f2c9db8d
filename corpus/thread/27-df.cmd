df
