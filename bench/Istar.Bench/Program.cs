using Istar.Bench;

if (args.Length > 0 && args[0] == "training")
{
    TrainingBenchmark.Run(args[1..]);
    return 0;
}

Console.Error.WriteLine("usage: Istar.Bench training [spots-side] [genes] [threads] [faithful-epochs]");
return 2;
