namespace SegaLearn.Training;

/// <summary>A user-facing line from the trainer or a scheduler, e.g. <c>  --Decaying learning rate ...</c> or <c>Early stopping at epoch 12</c>.</summary>
public sealed record TrainingMessage(string Text) : TrainingEvent;
