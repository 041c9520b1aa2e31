#include "app/cli.hpp"

int main(int argc, char** argv) { return cs::app::run_cli(argc, argv); }
