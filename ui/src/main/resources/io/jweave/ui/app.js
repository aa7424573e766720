// placeholder: the topology page replaces it
