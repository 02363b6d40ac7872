using Akka.Actor;

namespace SegaLearn.Worker;

/// <summary>The worker's data-plane connection ended: <see cref="Error"/> is null for an orderly close by the coordinator.</summary>
public sealed record DataPlaneClosed(string? Error) : INoSerializationVerificationNeeded;
