namespace SegaLearn.Serialization;

/// <summary>A model read back by <see cref="ModelFile.Load"/>.</summary>
/// <param name="Architecture">Layer sizes, activations and loss from the file's metadata.</param>
/// <param name="Parameters">The flat parameter buffer in <see cref="ParameterLayout"/> order (weights [in, out]).</param>
/// <param name="Metadata">Every metadata entry of the file, the model's own (<c>format</c>, <c>layers</c>,
/// <c>activations</c>, <c>loss</c>) and the extra ones given when saving.</param>
#pragma warning disable CA1819 // The parameters are the payload: callers train and predict with them in place.
public sealed record LoadedModel(NetworkArchitecture Architecture, float[] Parameters, IReadOnlyDictionary<string, string> Metadata);
#pragma warning restore CA1819
