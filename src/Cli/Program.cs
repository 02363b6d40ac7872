namespace SegaLearn.Cli;

public static class Program
{
    public static int Main(string[] args) => SegaLearnCommand.Run(args);
}
