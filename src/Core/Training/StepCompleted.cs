namespace SegaLearn.Training;

/// <summary>An optimizer step finished (0-based epoch and step).</summary>
public sealed record StepCompleted(int Epoch, int Epochs, int Step, int StepsPerEpoch, int Samples, double MeanLoss) : TrainingEvent;
