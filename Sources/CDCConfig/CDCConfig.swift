// The cdcd.yaml configuration; see CDCDConfiguration.
