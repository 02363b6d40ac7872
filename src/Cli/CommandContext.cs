namespace SegaLearn.Cli;

/// <summary>Process-wide state of one command invocation.</summary>
internal static class CommandContext
{
    /// <summary>Cancelled by Ctrl+C.</summary>
    public static CancellationToken Cancellation { get; set; }
}
