namespace SegaLearn;

/// <summary>Training cannot go on for a reason outside the input (e.g. every worker process is gone); the message is one line for the user.</summary>
public sealed class TrainingAbortedException(string message, Exception? inner = null) : Exception(message, inner);
