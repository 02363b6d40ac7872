namespace SegaLearn.Training;

/// <summary>
/// The trainer's optimizer update of parameters [<paramref name="offset"/>, +<paramref name="length"/>), run by an engine
/// from <see cref="ITrainingEngine.Step"/> once the gradient sum of that range is complete.
/// </summary>
public delegate void ParameterRangeUpdate(int offset, int length);
