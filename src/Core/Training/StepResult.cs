namespace SegaLearn.Training;

/// <summary>What a step's gradient computation reports besides the gradient: the summed loss and the sample count.</summary>
public readonly record struct StepResult(double LossSum, int SampleCount);
