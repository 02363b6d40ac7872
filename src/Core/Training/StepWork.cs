namespace SegaLearn.Training;

/// <summary>
/// One optimizer step's batch: the data rows in batch order (batch position p is <c>Rows[p]</c>), and the next
/// step's rows when the trainer knows them (empty otherwise), which an engine may prefetch.
/// </summary>
public readonly record struct StepWork(int Epoch, int Step, ReadOnlyMemory<int> Rows, ReadOnlyMemory<int> NextRows = default);
