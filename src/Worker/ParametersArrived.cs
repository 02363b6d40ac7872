using Akka.Actor;

namespace SegaLearn.Worker;

/// <summary>The data plane delivered the parameters of <see cref="Version"/>; the worker owns <see cref="Parameters"/> from now on.</summary>
public sealed record ParametersArrived(long Version, float[] Parameters) : INoSerializationVerificationNeeded;
