// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Nimble reward token
/// @notice A fixed-supply ERC-20: the whole supply is minted once to the deployer, who funds
/// the distributor with it. No owner, no later minting, so the supply cannot be inflated.
contract NimbleToken is ERC20 {
    constructor(uint256 initialSupply) ERC20("Nimble Compute", "NMBL") {
        _mint(msg.sender, initialSupply);
    }
}
