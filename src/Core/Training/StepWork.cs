namespace SegaLearn.Training;

/// <summary>One optimizer step's batch: the data rows in batch order (batch position p is <c>Rows[p]</c>).</summary>
public readonly record struct StepWork(int Epoch, int Step, ReadOnlyMemory<int> Rows);
