"""The KIS Open API surface of the simulator: OAuth, the quotation TRs, the holiday TR and master files."""
