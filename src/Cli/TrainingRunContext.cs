using SegaLearn.Data;

namespace SegaLearn.Cli;

/// <summary>What an engine factory may need of the run: the prepared data and how to rebuild it elsewhere.</summary>
internal sealed record TrainingRunContext(PreparedData Data, string DataSpec, string? LabelColumn, ulong Seed, double TestFraction, double ValidationFraction = 0);
