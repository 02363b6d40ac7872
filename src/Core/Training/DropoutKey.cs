namespace SegaLearn.Training;

/// <summary>
/// Identifies the dropout masks of a microbatch: the masks of the sample at batch position p come from the
/// stream keyed by (seed, <see cref="Epoch"/>, <see cref="Step"/>, p), so whichever worker computes a microbatch
/// draws the same masks. <see cref="FirstSample"/> is the batch position of the microbatch's first row.
/// </summary>
public readonly record struct DropoutKey(int Epoch, int Step, int FirstSample);
