namespace SegaLearn.Data;

/// <summary>A training set and a test set of the same task (same columns and classes).</summary>
public sealed record DataSplit(LabeledData Train, LabeledData Test);
