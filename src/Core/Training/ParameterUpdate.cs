namespace SegaLearn.Training;

/// <summary>
/// The trainer's optimizer update, run by <see cref="ITrainingEngine.Update"/>: it writes the new parameters into the
/// trainer's buffer and, unless <paramref name="mirror"/> is empty, into <paramref name="mirror"/> in the same pass.
/// </summary>
public delegate void ParameterUpdate(Span<float> mirror);
