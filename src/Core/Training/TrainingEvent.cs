namespace SegaLearn.Training;

/// <summary>Something the trainer reports while it runs; the command line turns these into a progress bar or lines.</summary>
public abstract record TrainingEvent;
